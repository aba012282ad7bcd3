"""Output text is compressed with lz4 on PostgreSQL: about twice as fast to store as the
default pglz, for the same size on disk (measured in docs/performance.md)."""

from django.db import migrations

LZ4_AVAILABLE = (
    "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
)


def _set_compression(method: str):
    def alter(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(LZ4_AVAILABLE)
            if not cursor.fetchone()[0]:
                return  # a server built without lz4 keeps pglz
        table = schema_editor.quote_name(apps.get_model("runs", "OutputChunk")._meta.db_table)
        schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN "text" SET COMPRESSION {method}')

    return alter


class Migration(migrations.Migration):
    dependencies = [("runs", "0008_step_run_failure_cause")]

    operations = [
        migrations.RunPython(_set_compression("lz4"), _set_compression("pglz")),
    ]
