from django.urls import path

from .views import (
    changes,
    codes,
    contacts,
    imports,
    letters,
    lists,
    mailbox,
    merge,
    people,
    reach,
    reply,
    sheets,
    wording,
)

app_name = "invitations"

urlpatterns = [
    path("r/<str:token>/", reply.reply, name="reply"),
    path("r/<str:token>/unsubscribe/", reply.unsubscribe, name="unsubscribe"),
    path("r/<str:token>/thanks/", reply.reply_thanks, name="reply_thanks"),
    path("r/<str:token>/calendar.ics", reply.reply_calendar, name="reply_calendar"),
    path(
        "programmes/<int:pk>/invitations/<int:invitation_pk>/reply/",
        lists.StaffReplyView.as_view(),
        name="staff_reply",
    ),
    # One person on a programme's list (views/people.py; issue 17, parts 1-2).
    path(
        "programmes/<int:pk>/invitations/<int:invitation_pk>/edit/",
        people.EditPersonView.as_view(),
        name="edit_person",
    ),
    path(
        "programmes/<int:pk>/invitations/<int:invitation_pk>/history/",
        people.PersonHistoryView.as_view(),
        name="person_history",
    ),
    path(
        "programmes/<int:pk>/invitations/<int:invitation_pk>/history/<int:change_pk>/undo/",
        people.undo_change,
        name="undo_change",
    ),
    path(
        "programmes/<int:pk>/invitations/<int:invitation_pk>/remove/",
        people.RemoveView.as_view(),
        name="remove",
    ),
    path(
        "programmes/<int:pk>/invitations/<int:invitation_pk>/put-back/",
        people.put_back,
        name="put_back",
    ),
    path("programmes/<int:pk>/reply-slip/", codes.ReplyCodeView.as_view(), name="reply_code"),
    path("programmes/<int:pk>/invitations/", lists.InvitationListView.as_view(), name="list"),
    path("programmes/<int:pk>/invitations/list.csv", lists.invitation_list_csv, name="list_csv"),
    path("programmes/<int:pk>/invitations/add/", lists.InvitationCreateView.as_view(), name="add"),
    path("programmes/<int:pk>/invitations/import/", imports.ImportView.as_view(), name="import"),
    path("programmes/<int:pk>/invitations/import/example.csv", imports.import_example, name="import_example"),
    path("programmes/<int:pk>/invitations/invite-groups/", lists.invite_groups, name="invite_groups"),
    path("programmes/<int:pk>/sheets/", sheets.SheetsView.as_view(), name="sheets"),
    path(
        "programmes/<int:pk>/sheets/<int:session_pk>/<slug:kind>/",
        sheets.SheetView.as_view(),
        name="sheet",
    ),
    path(
        "programmes/<int:pk>/sheets/<int:session_pk>/<slug:kind>.csv",
        sheets.SheetCsvView.as_view(),
        name="sheet_csv",
    ),
    path(
        "programmes/<int:pk>/letter/words/",
        wording.LetterWordingView.as_view(),
        name="letter_wording",
    ),
    path(
        "programmes/<int:pk>/letter/words/check/",
        wording.check_letter_wording,
        name="letter_wording_check",
    ),
    path("programmes/<int:pk>/letters/", letters.letters_page, name="letters"),
    path("programmes/<int:pk>/letters/<int:batch_pk>/", letters.letter_batch, name="letter_batch"),
    path(
        "programmes/<int:pk>/letters/<int:batch_pk>/download/",
        letters.letter_download,
        name="letter_download",
    ),
    path(
        "programmes/<int:pk>/letters/person/<int:invitation_pk>/",
        letters.letter_one,
        name="letter_one",
    ),
    path("programmes/<int:pk>/not-reached/", reach.not_reached, name="not_reached"),
    path("programmes/<int:pk>/not-reached.csv", reach.not_reached_csv, name="not_reached_csv"),
    path("invitees/<int:pk>/contact/", contacts.FixContactView.as_view(), name="fix_contact"),
    path("changes/<int:pk>/tell/", changes.tell_change, name="tell_change"),
    path("mailbox/", mailbox.mailbox, name="mailbox"),
    # Before mailbox/<name>/, which would otherwise take "texts".
    path("mailbox/texts/", mailbox.mailbox_texts, name="mailbox_texts"),
    path("mailbox/texts/<str:name>/", mailbox.mailbox_text, name="mailbox_text"),
    path("mailbox/<str:name>/", mailbox.mailbox_message, name="mailbox_message"),
    path("mailbox/<str:name>/html/", mailbox.mailbox_message_html, name="mailbox_message_html"),
]

# Likely duplicates on a programme's list, and merging two people into one (views/merge.py; issue 17,
# part 3). The merge names two invitations to the programme: the one kept first.
urlpatterns += [
    path("programmes/<int:pk>/duplicates/", merge.DuplicatesView.as_view(), name="duplicates"),
    path(
        "programmes/<int:pk>/merge/<int:keep_pk>/<int:other_pk>/",
        merge.MergeView.as_view(),
        name="merge",
    ),
]
