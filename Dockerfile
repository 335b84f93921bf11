# daily-digest: a production image. Runs `digest serve`; use `docker run … digest worker` for extra
# delivery workers. Not built in CI (no Docker engine there); kept to the two commands the README uses.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
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
