"""`flask ktc network-digest` and `flask ktc network-rebuild-stats`."""
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

    @group.command("network-rebuild-stats")
    def network_rebuild_stats_command():
        """Recompute the network's per-session figures from the bookings, records and feedback."""
        from ktc.network.stats import rebuild_session_stats

        count = rebuild_session_stats()
        click.echo(f"Figures recomputed for {count} sessions")
