"""Re-mask stored document numbers under the stricter rule (at most a third shown).

Rows whose ciphertext no configured key can read are left as they are.
Events already written keep what they recorded (the event log is append-only).
"""

from cryptography.fernet import InvalidToken
from django.db import migrations


def remask(apps, schema_editor):
    from verification import crypto

    for name in ("VerificationRequest", "IdentityBinding"):
        model = apps.get_model("verification", name)
        rows = model.objects.exclude(number_encrypted="").only(
            "pk", "document_type", "number_encrypted", "number_masked")
        for row in rows.iterator(chunk_size=500):
            try:
                number = crypto.decrypt(row.number_encrypted)
            except InvalidToken:
                continue
            masked = crypto.mask(number, document_type=row.document_type)
            if masked != row.number_masked:
                model.objects.filter(pk=row.pk).update(number_masked=masked)


class Migration(migrations.Migration):
    dependencies = [("verification", "0001_initial")]

    operations = [migrations.RunPython(remask, migrations.RunPython.noop)]
