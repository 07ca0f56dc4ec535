"""`flask ktc network-digest`: make and queue the learning network's digest now, if due."""
import click


def register(group):
    @group.command("network-digest")
    def network_digest_command():
        """Make the network digest for the period since the last one (if due) and queue it."""
        from ktc.network.jobs import send_network_digest

        digest = send_network_digest()
        if digest is None:
            click.echo("No digest due")
        else:
            click.echo(f"Digest {digest.id}: {digest.period_start.isoformat()} – {digest.period_end.isoformat()}")
