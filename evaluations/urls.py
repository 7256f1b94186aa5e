from django.urls import path

from .views import attendance, words

app_name = "evaluations"

# Signing in on the day, and who came.
urlpatterns = [
    path("sessions/<int:pk>/sign-in/", attendance.SigninView.as_view(), name="signin"),
    path("sessions/<int:pk>/sign-in/<int:invitation_pk>/arrive/", attendance.arrive, name="arrive"),
    path("sessions/<int:pk>/sign-in/<int:invitation_pk>/undo/", attendance.unarrive, name="unarrive"),
    path("sessions/<int:pk>/sign-in/walk-in/", attendance.WalkInView.as_view(), name="walk_in"),
    path("sessions/<int:pk>/sign-in/sheet.pdf", attendance.signin_sheet, name="signin_sheet"),
    path("sessions/<int:pk>/sign-in/paper/", attendance.PaperSheetView.as_view(), name="paper_sheet"),
    path("sessions/<int:pk>/who-came/", attendance.WhoCameView.as_view(), name="who_came"),
    path(
        "programmes/<int:pk>/who-came/",
        attendance.ProgrammeAttendanceView.as_view(),
        name="programme_attendance",
    ),
    path("programmes/<int:pk>/who-came.csv", attendance.attendance_csv, name="attendance_csv"),
]

# One word each: the circle, phones, the clouds and the exports.
urlpatterns += [
    path("sessions/<int:pk>/words/", words.words, name="words"),
    path("sessions/<int:pk>/words/<int:word_pk>/remove/", words.word_remove, name="word_remove"),
    path("sessions/<int:pk>/words/approve/", words.approve, name="approve"),
    path("sessions/<int:pk>/words/approve-all/", words.approve_all, name="approve_all"),
    path("sessions/<int:pk>/words/qr/", words.word_qr, name="word_qr"),
    path("sessions/<int:pk>/words/cloud/", words.cloud, name="cloud"),
    path("sessions/<int:pk>/words/cloud/live/", words.cloud_partial, name="cloud_partial"),
    path("sessions/<int:pk>/words/cloud.png", words.cloud_png, name="cloud_png"),
    path("programmes/<int:pk>/words/", words.programme_words, name="programme_words"),
    path("programmes/<int:pk>/words/cloud.png", words.programme_cloud_png, name="programme_cloud_png"),
    path("programmes/<int:pk>/words.csv", words.words_csv, name="words_csv"),
    path("neighbourhoods/<int:pk>/words/", words.neighbourhood_words, name="neighbourhood_words"),
    path("w/", words.phone_code, name="phone_code"),
    path("w/<str:token>/", words.phone_word, name="phone_word"),
    path("w/<str:token>/thanks/", words.phone_thanks, name="phone_thanks"),
]
