# daily-digest: a production image. Runs `digest serve`; use `docker run … digest worker` for extra
# delivery workers. Not built in CI (no Docker engine there); kept to the two commands the README uses.
#
# Two stages: the first compiles src/ to dist/ with the dev dependencies (TypeScript); the image
# holds dist/ and the production dependencies only, so no compiler or TypeScript loader ships.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) needs the sources, which come next.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
COPY package.json package-lock.json ./
# No production dependency has an install script; `prepare` (the build) is the first stage's work.
# --omit=optional: TypeScript is an optional peer of a dependency of mjml (cosmiconfig, for .ts config
# files nobody here uses), and pg-cloudflare is for Cloudflare Workers.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY templates ./templates
COPY locales ./locales
COPY migrations ./migrations
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# bin/digest execs node in place (PID 1 gets the signals), with the heap cap for send and worker.
ENTRYPOINT ["bin/digest"]
CMD ["serve"]
