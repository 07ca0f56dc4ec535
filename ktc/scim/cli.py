"""`flask ktc scim-token ORGANISATION_ID`: a provisioning token for an organisation's SCIM client."""
import click

from ktc.extensions import db


def register(group):
    @group.command("scim-token")
    @click.argument("organisation_id", type=int)
    def scim_token_command(organisation_id):
        """Print a new SCIM bearer token for the organisation (only its hash is kept)."""
        from ktc.organisations.models import Organisation
        from ktc.scim.operations import issue_token

        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None:
            raise click.ClickException(f"No organisation with id {organisation_id}.")
        token = issue_token(organisation)
        click.echo(token)
