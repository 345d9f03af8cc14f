"""The street's monthly bulletin (月度通报) as files: `GET /bulletins/{street_id}/{YYYY-MM}.pdf`
and `.xlsx`, for the street's administrators (`core.figures.bulletin.require_reader`)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

from core.figures import bulletin_export
from miniprogram_api.context import current_principal
from miniprogram_api.router import Router

router = Router("bulletins")


def _file(street_id: int, month: str, fmt: str) -> Response:
    data, b = bulletin_export.download(current_principal(), street_id, month, fmt)
    ascii_name = bulletin_export.file_name(b, fmt)
    name = bulletin_export.display_name(b, fmt)
    return Response(
        data,
        mimetype=bulletin_export.FORMATS[fmt],
        headers={
            "Content-Disposition": (
                f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}"
            )
        },
    )


@router.get(
    "/bulletins/<int:street_id>/<month>.pdf",
    summary="街道月度通报（PDF，A4 可打印）",
    roles=("staff", "admin"),
    response_content_type=bulletin_export.FORMATS["pdf"],
    errors=(400, 403, 404),
)
def bulletin_pdf(street_id: int, month: str):
    """社区与部门、物业的排名（含红榜、待改进及每项比率的分子分母）、本月重点事项、办结方式统计。
    月份格式 YYYY-MM；不能晚于本月，也不能早于街道有数据的月份。仅限该街道的管理员；每次下载记入操作日志。"""
    return _file(street_id, month, "pdf")


@router.get(
    "/bulletins/<int:street_id>/<month>.xlsx",
    summary="街道月度通报（Excel）",
    roles=("staff", "admin"),
    response_content_type=bulletin_export.FORMATS["xlsx"],
    errors=(400, 403, 404),
)
def bulletin_xlsx(street_id: int, month: str):
    """与 PDF 同一份数据：汇总、社区排名、部门与物业排名、重点事项四张表，比率为数值并附分子分母。"""
    return _file(street_id, month, "xlsx")
