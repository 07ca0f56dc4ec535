# Read by the `flask` command (python-dotenv) in this checkout, never by gunicorn.
# Variables already set in the environment win. A deployment sets KTC_ENV=production itself.
FLASK_APP=wsgi
KTC_ENV=development
