"""Volunteers and their service (志愿服务): volunteers, 双报到 units and teams (volunteers),
activities and attendance (activities), service records and their certification (records),
the 志愿服务记录证明 PDF (certificate) and the year-end grading of party members (grading)."""
