# One image for the web server, the Celery worker and Celery beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gdal-bin libgdal32 libgeos-c1v5 libproj25 libimage-exiftool-perl ffmpeg libmagic1 curl \
      postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/base.txt

COPY . .
RUN DJANGO_SETTINGS_MODULE=config.settings.base SLID_VAR_DIR=/app/var python manage.py collectstatic --no-input -v 0 \
 && useradd --system --home-dir /app --shell /usr/sbin/nologin slid \
 && mkdir -p /app/var && chown slid /app/var

USER slid
ENV DJANGO_SETTINGS_MODULE=config.settings.production SLID_VAR_DIR=/app/var SLID_WEB_BIND=0.0.0.0:8000
EXPOSE 8000
# Workers, threads and timeouts: config/gunicorn.py.
CMD ["gunicorn", "--config", "config/gunicorn.py"]
