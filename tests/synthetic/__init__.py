"""Synthetic annual reports: random gold-shaped reports and their renderings as text, HTML, DOCX and PDF."""
