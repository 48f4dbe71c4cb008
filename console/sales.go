package console

import "github.com/gofiber/fiber/v2"

// mountSales adds the SalesDash pages: unlinked identities and activity and sale aggregates.
func (k *console) mountSales(g fiber.Router) {}
