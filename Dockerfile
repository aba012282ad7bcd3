# The console's image for docker-compose.yml: web, worker and beat run it with different commands.
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends openssh-client postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .
ENV VAR_DIR=/data
