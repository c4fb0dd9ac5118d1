# Builds the `tally` command in the official Swift image and runs it on a slim Debian with hiredis.
#   docker build -t tally .
#   docker run --rm -e TALLY_REDIS_URL=redis://host.docker.internal:6379 tally doctor
FROM swift:6.1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libhiredis-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product tally --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/tally" /usr/local/bin/tally

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libhiredis0.14 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/tally tally
COPY --from=build /usr/local/bin/tally /usr/local/bin/tally
COPY definitions /usr/share/tally/definitions
USER tally
WORKDIR /var/lib/tally
ENV TALLY_DEFINITIONS=/usr/share/tally/definitions
EXPOSE 8080
ENTRYPOINT ["tally"]
CMD ["doctor"]
