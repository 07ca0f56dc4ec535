"""`flask ktc backup`."""
import subprocess

import click


def register(group):
    @group.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def backup_command(path):
        """Write a consistent copy of the database (SQLite) or a dump (PostgreSQL) to PATH."""
        from ktc.main.operations import backup

        try:
            written = backup(path)
        except (subprocess.CalledProcessError, RuntimeError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            raise click.ClickException(f"backup failed: {exc} {detail.decode(errors='replace')}") from exc
        click.echo(f"Backup written to {written}")
