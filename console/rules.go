package console

import "github.com/gofiber/fiber/v2"

// mountRules adds the Rules pages: each scope's effective rules, edited and tested.
func (k *console) mountRules(g fiber.Router) {}
