"""Move attachments stored under the public media folder (reachable by URL, under the
sender's own file name) to private storage under a generated name, keeping the sender's
name, cleaned, for display. Safe to run again: a file no longer in public storage is left
where it is. The public copies are deleted only once the database points to the new ones."""

from pathlib import PurePosixPath

from django.core.files import File
from django.core.files.storage import storages
from django.db import migrations, transaction

from buurtnet.private_files import clean_filename


def move_to_private_storage(apps, schema_editor) -> None:
    Message = apps.get_model("messaging", "Message")
    public = storages["default"]
    moved: list[str] = []
    for message in Message.objects.exclude(attachment="").iterator():
        old = message.attachment.name
        if not public.exists(old):
            if not message.attachment_name:
                message.attachment_name = clean_filename(
                    PurePosixPath(old).name, default="attachment"
                )
                message.save(update_fields=["attachment_name"])
            continue
        with public.open(old, "rb") as handle:
            # The field's upload_to makes the private name and sets attachment_name.
            message.attachment.save(PurePosixPath(old).name, File(handle), save=False)
        message.save(update_fields=["attachment", "attachment_name"])
        moved.append(old)
    transaction.on_commit(lambda: [public.delete(name) for name in moved])


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_private_attachments"),
    ]

    operations = [
        migrations.RunPython(move_to_private_storage, migrations.RunPython.noop),
    ]
