"""Scrapy spiders: thin, they decide what to fetch next and hand pages to extraction."""
