package console

import "github.com/gofiber/fiber/v2"

// mountConnectors adds the Connectors pages: create, secrets shown once, rotate, deliveries and signature failures.
func (k *console) mountConnectors(g fiber.Router) {}
