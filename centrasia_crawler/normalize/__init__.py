"""Pure normalisation functions: dates, source lines, permalinks, headlines, text."""
