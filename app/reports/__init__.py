"""Servicebüro reports: a cycle's statistics and the CSV/XLSX exports of its responses and
evaluation results."""
