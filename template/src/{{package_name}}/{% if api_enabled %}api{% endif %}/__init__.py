"""The data API: the loaded tables and the run reports, read-only, over HTTP.

``create_app`` builds the FastAPI application from the settings; ``serve`` (the
command line's) runs it with uvicorn.
"""
