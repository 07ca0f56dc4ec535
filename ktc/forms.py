"""Form helpers shared by the features."""

# Marks a select for the searchable picker (ktc/static/js/pickers.js, Tom Select); without
# JavaScript it stays the native select.
PICKER = {"data-picker": ""}
