# intake serve / intake worker image. Built with the nodev tag: no embedded
# Temporal server or UI, a fraction of the size of the dev binary.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -tags nodev -trimpath -ldflags="-s -w" -o /out/intake ./cmd/intake

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/intake /intake
EXPOSE 8080
ENTRYPOINT ["/intake"]
