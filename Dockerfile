# Production image: web (gunicorn + whitenoise), Celery worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv UV_COMPILE_BYTECODE=1 PATH="/opt/venv/bin:$PATH"

# dot for diagrams, a CJK font so PNG/PDF show real characters, pango for WeasyPrint PDFs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends graphviz fonts-noto-cjk fonts-wqy-microhei fontconfig \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils \
 && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN DJANGO_ENV=development python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 chainmap && mkdir -p /app/var && chown -R chainmap /app/var
USER chainmap
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
