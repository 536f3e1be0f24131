"""The workspace's pages, by subject. Each is a web.pages.Page and has its rule in web.access.PAGES."""
