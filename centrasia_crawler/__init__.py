"""centrasia-crawler: an archival Scrapy crawler for centrasia.org ("ЦентрАзия")."""

__version__ = "0.1.0"
