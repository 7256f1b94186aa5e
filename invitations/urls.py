from django.urls import path

from . import code_views, letter_views, sheet_views, views, wording_views

app_name = "invitations"

urlpatterns = [
    path("r/<str:token>/", views.reply, name="reply"),
    path("r/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("r/<str:token>/thanks/", views.reply_thanks, name="reply_thanks"),
    path("r/<str:token>/calendar.ics", views.reply_calendar, name="reply_calendar"),
    path(
        "programmes/<int:pk>/invitations/<int:invitation_pk>/reply/",
        views.RecordReplyView.as_view(),
        name="record_reply",
    ),
    path("programmes/<int:pk>/reply-slip/", code_views.ReplyCodeView.as_view(), name="reply_code"),
    path("programmes/<int:pk>/invitations/", views.InvitationListView.as_view(), name="list"),
    path("programmes/<int:pk>/invitations/list.csv", views.invitation_list_csv, name="list_csv"),
    path("programmes/<int:pk>/invitations/add/", views.InvitationCreateView.as_view(), name="add"),
    path("programmes/<int:pk>/invitations/import/", views.ImportView.as_view(), name="import"),
    path("programmes/<int:pk>/invitations/import/example.csv", views.import_example, name="import_example"),
    path("programmes/<int:pk>/invitations/invite-groups/", views.invite_groups, name="invite_groups"),
    path("programmes/<int:pk>/sheets/", sheet_views.SheetsView.as_view(), name="sheets"),
    path(
        "programmes/<int:pk>/sheets/<int:session_pk>/<slug:kind>/",
        sheet_views.SheetView.as_view(),
        name="sheet",
    ),
    path(
        "programmes/<int:pk>/sheets/<int:session_pk>/<slug:kind>.csv",
        sheet_views.SheetCsvView.as_view(),
        name="sheet_csv",
    ),
    path(
        "programmes/<int:pk>/letter/words/",
        wording_views.LetterWordingView.as_view(),
        name="letter_wording",
    ),
    path(
        "programmes/<int:pk>/letter/words/check/",
        wording_views.check_letter_wording,
        name="letter_wording_check",
    ),
    path("programmes/<int:pk>/letters/", letter_views.letters_page, name="letters"),
    path("programmes/<int:pk>/letters/<int:batch_pk>/", letter_views.letter_batch, name="letter_batch"),
    path(
        "programmes/<int:pk>/letters/<int:batch_pk>/download/",
        letter_views.letter_download,
        name="letter_download",
    ),
    path(
        "programmes/<int:pk>/letters/person/<int:invitation_pk>/",
        letter_views.letter_one,
        name="letter_one",
    ),
    path("mailbox/", views.mailbox, name="mailbox"),
    path("mailbox/<str:name>/", views.mailbox_message, name="mailbox_message"),
]
