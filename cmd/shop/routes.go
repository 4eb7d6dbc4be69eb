package main

import (
	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/httpserver"
)

// routes mounts every module's routes on the server: the one place that
// shows the whole HTTP surface.
func routes(srv *httpserver.Server, cfg config.Config, db *database.DB, svc *services) {
	_, _, _, _ = srv, cfg, db, svc
}
