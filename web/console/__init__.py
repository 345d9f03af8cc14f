"""社区工作台: the staff console at `/console` for a desktop browser.

Server-rendered like the scan pages (Jinja templates, one CSS file, a little optional
JavaScript, nothing from a CDN: office networks often have no internet). Staff log in with
their console account (`core.people.auth.login_with_password`, rate-limited as the API is);
every page is scoped by `core.people.permissions.Principal` exactly as the API is, every
form carries a Flask-WTF CSRF token, and every change is a call of the same `core` function
the API and the bot call (which audits it). Pages:

* `common` — session, CSRF, scoping, error pages; `auth` — /console/login, /console/logout;
* `dashboard` — /console/ (figures, 30-day trend as inline SVG, stewards, what waits);
* `items` — 待办审核 /console/review, 诉求 /console/issues, 微心愿 /console/wishes;
* `intake` — 代居民登记 /console/issues/new (12345 热线, 电话, 来访, 网格员发现);
* `closures` — 办结 (with its outcome) and 合并重复 on the item page, 常用回复
  /console/reply-templates;
* `uploads` — the spreadsheet upload shared by 花名册 and 包联户 (a dry run, then confirm);
* `desk` — 台账 /console/ledger, 花名册 /console/roster, 公示牌 /console/boards (background
  print jobs in `core.boards.print_jobs`);
* `stewards` — 管家 /console/stewards (search, filters, paging) and a steward's page;
* `people` — 管家's bind codes and 离任, 工作群 /console/groups, 发送记录 /console/outbox,
  考核 /console/assessments;
* `search` — 查找 /console/search (the search box on every page: items, 12345 tickets, people,
  alleys, households; `core.search`) and the person autocomplete /console/search/people.json;
* `timebank` — 时间银行 /console/timebank: passbooks by member code, adjustments, reversals,
  the exchange shop's shelf and counter redemptions;
* `service` — 志愿服务 /console/service/…: 志愿者, 活动, 服务记录, 年度评定;
* `households` — 包联户 /console/households (民情联系卡, 一人一策, visits, import; private:
  every read audited);
* `care_alerts` — 关怀提醒 /console/care-alerts: send a care alert, its progress per steward
  (private: the households shown are recorded);
* `callbacks` — 回访 /console/callbacks (the callback list with residents' phones: private;
  recording, reopening after 不满意, each community's progress, the street's sample rule);
* `unit_admin` — 承办单位 /console/units: departments and property companies, their members;
* `unit_items` — staff's 吹哨, 催办, 督办 and 延期审批 on an issue's page;
* `unit_desk` — 本单位待办 /console/unit/: all a unit member (core.units) sees — their
  unit's items and its actions; every other page is 403 for them;
* `admin` — for street administrators: 账号 /console/accounts, 系统状态 (/console/departments
  now leads to 承办单位).
* `bulletins` — 月度通报 /console/bulletins (the street's monthly bulletin, PDF and xlsx);
* `street` — 街道总览 /console/street, a street admin's landing page: communities and units
  side by side, and the switch of the street's public figures page.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from web.console import (  # noqa: F401  (each registers its routes)
    admin,
    auth,
    bulletins,
    callbacks,
    care_alerts,
    closures,
    dashboard,
    desk,
    households,
    intake,
    items,
    people,
    search,
    service,
    stewards,
    street,
    timebank,
    unit_admin,
    unit_desk,
    unit_items,
)
from web.console.common import SESSION_HOURS, bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=SESSION_HOURS)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = str(app.config["PUBLIC_BASE_URL"]).startswith("https:")
    app.register_blueprint(bp)
