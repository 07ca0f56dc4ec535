#!/usr/bin/env python3
"""Resolve a merge conflict in translation catalogues: take both sides' translations.

    python scripts/merge_po.py PATH...   (run during a conflicted git merge)
"""
import json
import subprocess
import sys
import tempfile
from io import BytesIO
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def side(path, stage):
    data = subprocess.run(["git", "show", f":{stage}:{path}"], cwd=ROOT, capture_output=True, check=False).stdout
    return read_po(BytesIO(data)) if data else None


def main(paths):
    texts = {}
    for path in paths:
        for stage in (3, 2):
            catalog = side(path, stage)
            if catalog is None:
                continue
            for message in catalog:
                key = message.id if isinstance(message.id, str) else message.id[0]
                if message.id and message.string and "/sv/" in path:
                    texts[key] = list(message.string) if isinstance(message.string, tuple) else message.string
        subprocess.run(["git", "checkout", "--ours", path], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "scripts/i18n.py", "update"], cwd=ROOT, check=True, capture_output=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(texts, fh, ensure_ascii=False)
    subprocess.run([sys.executable, "scripts/i18n.py", "fill", fh.name], cwd=ROOT, check=True)
    subprocess.run(["git", "add", *paths], cwd=ROOT, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
