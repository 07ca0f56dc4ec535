from ktc import create_app

app = create_app()
