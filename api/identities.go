package api

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// entityRoutes are the admin collections of the project's own agents,
// teams and propositions, by path.
var entityRoutes = map[string]string{
	"agents": intake.IdentityAgent, "teams": intake.IdentityTeam, "propositions": intake.IdentityProposition,
}

func (s *Server) listIdentities(c *fiber.Ctx) error {
	f := store.IdentityFilter{Kind: c.Query("kind"), ConnectorID: c.Query("connector_id")}
	if f.Kind != "" && !slices.Contains(intake.IdentityKinds, f.Kind) {
		return intake.Invalid("kind", "kind must be one of %s", strings.Join(intake.IdentityKinds, ", "))
	}
	if v := c.Query("linked"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return intake.Invalid("linked", "linked must be true or false")
		}
		f.Linked = &b
	}
	return paged(c, func(ctx context.Context, pg store.Page) ([]store.Identity, string, error) {
		return s.store.ListIdentities(ctx, principal(c).ProjectID, f, pg)
	})
}

func (s *Server) getIdentity(c *fiber.Ctx) error {
	idn, err := s.store.GetIdentity(c.UserContext(), principal(c).ProjectID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(idn)
}

// linkIdentity links an identity to an existing agent, team or
// proposition (target_id), or to a new one (name, else the identity's).
func (s *Server) linkIdentity(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	target, err := o.str("target_id", 40)
	if err != nil {
		return err
	}
	name, err := o.str("name", maxName)
	if err != nil {
		return err
	}
	if target != "" && name != "" {
		return intake.Invalid("name", "send target_id to link to an existing one, or name to create one, not both")
	}
	idn, ent, err := s.store.LinkIdentity(c.UserContext(), principal(c).ProjectID, c.Params("id"), target, name)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"identity": idn, idn.Kind: ent})
}

// entityKind is the kind of entity a route's collection holds.
func entityKind(c *fiber.Ctx) string {
	return entityRoutes[strings.Split(strings.TrimPrefix(c.Route().Path, "/api/admin/"), "/")[0]]
}

// entityFields reads an entity's fields from o; an agent also takes
// email and team_id.
func entityFields(o object, kind string, e *store.Entity, create bool) error {
	name, err := o.str("name", maxName)
	if err != nil {
		return err
	}
	if name == "" && create {
		return intake.Invalid("name", "name is required")
	}
	if name != "" {
		e.Name = name
	}
	if kind != intake.IdentityAgent {
		for _, f := range []string{"email", "team_id"} {
			if _, ok := o[f]; ok {
				return intake.Invalid(f, "only agents have %s", f)
			}
		}
		return nil
	}
	if _, ok := o["email"]; ok {
		if e.Email, err = (record{json: o}).email("email"); err != nil {
			return err
		}
	}
	if _, ok := o["team_id"]; ok {
		e.TeamID, err = o.str("team_id", 40)
	}
	return err
}

func (s *Server) createEntity(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	kind := entityKind(c)
	e := store.Entity{ProjectID: principal(c).ProjectID, Kind: kind}
	if err := entityFields(o, kind, &e, true); err != nil {
		return err
	}
	if err := s.store.CreateEntity(c.UserContext(), &e); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(e)
}

func (s *Server) listEntities(c *fiber.Ctx) error {
	return paged(c, func(ctx context.Context, pg store.Page) ([]store.Entity, string, error) {
		return s.store.ListEntities(ctx, principal(c).ProjectID, entityKind(c), pg)
	})
}

func (s *Server) getEntity(c *fiber.Ctx) error {
	e, err := s.store.GetEntity(c.UserContext(), principal(c).ProjectID, entityKind(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(e)
}

func (s *Server) updateEntity(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	kind := entityKind(c)
	e, err := s.store.UpdateEntity(c.UserContext(), principal(c).ProjectID, kind, c.Params("id"), func(e *store.Entity) error {
		return entityFields(o, kind, e, false)
	})
	if err != nil {
		return err
	}
	return c.JSON(e)
}

func (s *Server) deleteEntity(c *fiber.Ctx) error {
	if err := s.store.DeleteEntity(c.UserContext(), principal(c).ProjectID, entityKind(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	return paged(c, func(ctx context.Context, pg store.Page) ([]store.User, string, error) {
		return s.store.ListUsers(ctx, principal(c).ProjectID, pg)
	})
}
