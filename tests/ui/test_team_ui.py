"""The window says who is connected with what role, and greys out what that
role may not do (the server refuses it anyway: see tests/app/test_team.py)."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QPushButton

from app.store.db import close_database, open_database
from tests.app.test_team import _as, team_db  # noqa: F401 - the fixture
from tests.ui.conftest import shown_window


@pytest.fixture(autouse=True)
def isolated_settings(failing_boxes):
    pass


def _window(qtbot, page="assets"):
    w = shown_window(qtbot, start_page=page)
    return w


def test_a_local_file_shows_the_os_user_with_every_action(qtbot, sqlite_db):
    w = _window(qtbot)
    from app.services.base import current_user  # QM_USER, else the OS account
    assert w.identity_label.text() == f"{current_user()} (local file)"
    assert w.act_new.isEnabled() and w.act_check_in.isEnabled()
    settings_page = w.show_page("settings")
    assert settings_page.findChild(QPushButton, "save-settings").isEnabled()


@pytest.mark.postgres
@pytest.mark.parametrize("role", ["viewer", "technician", "admin"])
def test_each_role_sees_its_name_and_only_what_it_may_do(qtbot, team_db, role):  # noqa: F811
    user = team_db["users"][role]
    open_database(_as(team_db["url"], user))
    try:
        w = _window(qtbot)
        assert w.identity_label.text() == f"{user} ({role})"
        assert w.act_new.isEnabled() == (role != "viewer")
        assert w.act_check_in.isEnabled() == (role != "viewer")
        save = w.show_page("settings").findChild(QPushButton, "save-settings")
        assert save.isEnabled() == (role == "admin")
        w.show_page("licenses")
        w.close()
    finally:
        close_database()
