"""Spreadsheet uploads in the console (花名册, 包联户): check first, import on confirm.

A POST with a file stores it under the instance folder (named by a digest of its bytes and the
uploader), runs the import as a dry run and shows the plan with a confirm button carrying the
digest; a POST with `confirm` imports that stored file for real, deletes it and redirects to
the page's GET with `?done=1` (post/redirect/get: the result page survives Back and reload;
the summary waits in the session). Every problem the import finds is listed and nothing is
written. A dry run may return a row-by-row preview (`.ok` false when any row is bad): then a
bad sheet is kept until re-uploaded, so its marked copy can be downloaded (`stored_upload`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for

from core import faults
from web.console.common import principal

MAX_BYTES = 5 * 1024 * 1024
SUFFIXES = (".xlsx", ".csv")


def label() -> str:
    """Who the audit trail names for a console import."""
    return f"工作台:{principal().user.nickname}"


def _folder(name: str) -> Path:
    path = Path(current_app.instance_path) / name
    with faults.storage(name):
        path.mkdir(parents=True, exist_ok=True)
    return path


def dry_run_then_confirm(
    *,
    page: str,
    folder: str,
    noun: str,
    endpoint: str,
    run: Callable[[Path, bool], object],
    error: type[Exception],
    **context,
):
    """The view body of an import page. `run(path, dry_run)` checks or imports a stored upload
    and raises `error` (with `.problems`) when anything is wrong; `context` goes to `page`."""
    done_key = f"upload-done:{endpoint}"
    if request.method == "GET":
        done = session.get(done_key) if request.args.get("done") else None
        return render_template(page, done=done, **context)
    if request.form.get("confirm"):
        digest = request.form["confirm"]
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            abort(400)
        matches = sorted(_folder(folder).glob(f"{digest}.*"))
        if not matches:
            flash("上传的文件已过期，请重新上传", "error")
            return redirect(url_for(endpoint))
        path = matches[0]
        try:
            result = run(path, False)
        except error as exc:
            return render_template(page, problems=exc.problems, **context), 400  # type: ignore[attr-defined]
        finally:
            path.unlink(missing_ok=True)
        session[done_key] = result.summary()  # type: ignore[attr-defined]
        return redirect(url_for(endpoint, done=1))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template(page, problems=[f"请选择{noun}文件"], **context), 400
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in SUFFIXES:
        return render_template(page, problems=["文件格式：只能上传 .xlsx 或 .csv"], **context), 400
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return render_template(page, problems=["文件太大：不能超过 5 MB"], **context), 400
    digest = hashlib.sha256(data + str(principal().user.id).encode()).hexdigest()
    path = _folder(folder) / f"{digest}{suffix}"
    folder_path = _folder(folder)
    with faults.storage(folder):
        fd, tmp = tempfile.mkstemp(dir=folder_path, suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)  # a full disk leaves no half file behind
            raise
    try:
        result = run(path, True)
    except error as exc:
        path.unlink(missing_ok=True)
        problems = exc.problems  # type: ignore[attr-defined]
        status = getattr(exc, "status", 400)  # 413: refused unopened (a zip bomb)
        html = render_template(page, problems=problems, filename=upload.filename, **context)
        return html, status
    preview = result if hasattr(result, "ok") else None  # a row-by-row preview
    if preview is not None and not preview.ok:
        html = render_template(
            page,
            preview=result,
            problems=result.problems,  # type: ignore[attr-defined]
            marked=digest,
            filename=upload.filename,
            **context,
        )
        return html, 400
    return render_template(
        page,
        plan=preview.result if preview else result,  # type: ignore[attr-defined]
        preview=preview,
        confirm=digest,
        filename=upload.filename,
        **context,
    )


def stored_upload(folder: str, digest: str) -> Path:
    """This viewer's stored upload by its digest (404 when gone, or when the digest is not of
    this file uploaded by this viewer: a digest is no key to another person's sheet)."""
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        abort(404)
    matches = sorted(_folder(folder).glob(f"{digest}.*"))
    if not matches:
        abort(404)
    with faults.storage(folder):
        data = matches[0].read_bytes()
    if hashlib.sha256(data + str(principal().user.id).encode()).hexdigest() != digest:
        abort(404)
    return matches[0]
