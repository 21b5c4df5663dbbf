# The gateway image: the gateway bundled by esbuild (as `npm start` does) and the explorer built by Vite.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY schemas/package.json schemas/
COPY gateway/package.json gateway/
COPY ui/package.json ui/
RUN npm ci --omit=dev --no-audit --no-fund
COPY schemas schemas
COPY gateway gateway
COPY ui ui
# Build the explorer into the image, so containers start without building it.
RUN npm run build -w @tracegate/ui && node gateway/scripts/bundle.mjs
ENV HOST=0.0.0.0 PORT=4000 TRACEGATE_DATA_DIR=/data NODE_ENV=production
# As `npm start`: glibc hands blocks of 1 MB and more straight back to the system (docs/performance.md, "Memory").
ENV MALLOC_MMAP_THRESHOLD_=1048576
VOLUME /data
EXPOSE 4000
# As `npm start` (test/bundle.test.ts keeps the two alike): a first old generation of 128 MB, so V8 does not run a
# full collection every few hundred ms while spans stream through, and no allocation-site pretenuring (docs/performance.md).
CMD ["node", "--initial-old-space-size=128", "--no-allocation-site-pretenuring", "gateway/dist/main.mjs"]
