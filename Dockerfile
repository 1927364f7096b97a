# The Tidings app image: `tidings serve` and `tidings worker` run from it (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Scripts wait for the sources: `prepare` (the CLI build) runs below, once they are copied.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY migrations ./migrations
COPY templates ./templates
COPY content ./content
COPY public ./public
COPY tsconfig.json ./
COPY scripts ./scripts
RUN npm run build
# The media store (MEDIA_DIR), a volume in docker-compose.yml: a fresh volume takes this folder's owner.
RUN mkdir -p media && chown node:node media
USER node
ENTRYPOINT ["node", "bin/tidings.mjs"]
CMD ["serve"]
