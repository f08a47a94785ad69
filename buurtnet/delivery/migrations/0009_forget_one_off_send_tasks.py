"""The one-off e-mail, SMS and code-call tasks of 0.2.0 are gone (every notice is a Delivery
now). The database task backend kept each one's arguments as a row: an address or number
and the rendered text, a log-in code included. Nothing can run them any more and nothing
else would delete them, so they go here."""

from django.db import migrations

ONE_OFF_TASKS = [
    "buurtnet.delivery.tasks.send_email",
    "buurtnet.delivery.tasks.send_sms",
    "buurtnet.people.tasks.call_phone_code",
]


def forget_one_off_send_tasks(apps, schema_editor) -> None:
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path__in=ONE_OFF_TASKS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0008_notices"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forget_one_off_send_tasks, migrations.RunPython.noop)]
