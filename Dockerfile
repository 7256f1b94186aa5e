# Production image for the web, worker and beat services (docker-compose.yml).
FROM python:3.11-slim-bookworm

# The code runs from /app (PYTHONPATH, see below), so settings.BASE_DIR is /app.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media

# WeasyPrint (the PDF letters) needs Pango and HarfBuzz's subsetter at run time; Noto gives it fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so this layer is rebuilt only when they change.
# The project itself is not pip-installed: a regular (non-editable) install would put it in
# site-packages, where settings.BASE_DIR would no longer point at templates/ and static/.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# The translation catalogues, compiled from locale/*.po (msgfmt, from gettext, only while building).
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && bash scripts/compile_translations.sh \
    && apt-get purge -y gettext && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

# A non-root user. var/ (collected static files, cache) and /data (media, beat's schedule) are the only
# places it writes; named volumes mounted on /data/* inherit this ownership when first created.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /app/var /data/media /data/beat \
    && chown -R app:app /app/var /data
USER app

EXPOSE 8000
# collectstatic runs when the web service starts (it needs the real settings, SECRET_KEY included).
CMD ["gunicorn", "bettertogether.wsgi:application", "-b", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--logger-class", "core.privacy.ScrubbingLogger"]
