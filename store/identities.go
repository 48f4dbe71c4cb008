package store

import (
	"context"
	"strings"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Identity is a sender's own id for an agent, team or proposition, as its
// records name it. Ids are the sender's, so they are unique per connector;
// LinkedID points at the project's Entity once an admin links it, which is
// how two systems' ids for one person count as one agent.
type Identity struct {
	ID          string `gorm:"primaryKey;size:40" json:"id"`
	ProjectID   string `gorm:"size:40;not null;uniqueIndex:idx_identity_ext,priority:1" json:"-"`
	ConnectorID string `gorm:"size:40;not null;uniqueIndex:idx_identity_ext,priority:2" json:"connector_id"`
	Kind        string `gorm:"size:16;not null;uniqueIndex:idx_identity_ext,priority:3" json:"kind"`
	ExternalID  string `gorm:"size:200;not null;uniqueIndex:idx_identity_ext,priority:4" json:"external_id"`
	Name        string `gorm:"size:200" json:"name"`
	Email       string `gorm:"size:320" json:"email,omitempty"`
	UserID      string `gorm:"size:40" json:"user_id,omitempty"`
	// TeamIdentityID is an agent's team, as its sender last said.
	TeamIdentityID string     `gorm:"size:40" json:"team_identity_id,omitempty"`
	LinkedID       string     `gorm:"size:40;index" json:"linked_id,omitempty"`
	LinkedAt       *time.Time `json:"linked_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// Entity is one of the project's own agents, teams or propositions, which
// identities link to. TeamID and UserID are an agent's.
type Entity struct {
	ID        string    `gorm:"primaryKey;size:40" json:"id"`
	ProjectID string    `gorm:"size:40;not null;index" json:"-"`
	Kind      string    `gorm:"size:16;not null" json:"kind"`
	Name      string    `gorm:"size:200;not null" json:"name"`
	Email     string    `gorm:"size:320" json:"email,omitempty"`
	TeamID    string    `gorm:"size:40" json:"team_id,omitempty"`
	UserID    string    `gorm:"size:40" json:"user_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// User is a person known by email, found or created from an agent_email.
type User struct {
	ID        string    `gorm:"primaryKey;size:40" json:"id"`
	ProjectID string    `gorm:"size:40;not null;uniqueIndex:idx_user_email,priority:1" json:"-"`
	Email     string    `gorm:"size:320;not null;uniqueIndex:idx_user_email,priority:2" json:"email"`
	Name      string    `gorm:"size:200" json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// entityPrefixes are the ID prefixes of entities by kind.
var entityPrefixes = map[string]string{intake.IdentityAgent: "agt", intake.IdentityTeam: "team", intake.IdentityProposition: "prop"}

// IdentityRef names an identity of a project's connector.
type IdentityRef struct {
	ProjectID, ConnectorID, Kind, ExternalID string
}

// IdentityExists reports whether a sender's id is known, so a call naming
// an unknown one without a name can be refused before anything starts.
// Identities are never deleted, so once known an id stays known.
func (s *Store) IdentityExists(ctx context.Context, r IdentityRef) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Identity{}).Where("project_id = ? AND connector_id = ? AND kind = ? AND external_id = ?",
		r.ProjectID, r.ConnectorID, r.Kind, r.ExternalID).Count(&n).Error
	return n > 0, err
}

// upsertIdentity finds or creates an identity, renaming it when name is
// given. An unknown id without a name is invalid: field names it.
func upsertIdentity(tx *gorm.DB, r IdentityRef, name, field string) (Identity, error) {
	var id Identity
	err := tx.Where("project_id = ? AND connector_id = ? AND kind = ? AND external_id = ?", r.ProjectID, r.ConnectorID, r.Kind, r.ExternalID).
		Take(&id).Error
	switch {
	case err == gorm.ErrRecordNotFound && name == "" && field != "":
		return id, intake.Invalid(field, "%s %q is unknown; send its name to create it", field, r.ExternalID)
	case err == gorm.ErrRecordNotFound:
		id = Identity{ID: intake.NewID("idn"), ProjectID: r.ProjectID, ConnectorID: r.ConnectorID, Kind: r.Kind,
			ExternalID: r.ExternalID, Name: name}
		// A concurrent call may create it first; then it is read back.
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&id)
		if res.Error != nil || res.RowsAffected == 1 {
			return id, res.Error
		}
		return upsertIdentity(tx, r, name, field)
	case err != nil:
		return id, err
	case name != "" && name != id.Name:
		id.Name = name
		return id, tx.Model(&id).Updates(map[string]any{"name": name, "updated_at": time.Now().UTC()}).Error
	}
	return id, nil
}

// upsertAgent records what a call says of its agent: the identity, its
// team membership and its user, found or created by email.
func upsertAgent(tx *gorm.DB, projectID, connectorID string, p intake.Person) (Identity, error) {
	ref := IdentityRef{ProjectID: projectID, ConnectorID: connectorID, Kind: intake.IdentityAgent, ExternalID: p.ID}
	agent, err := upsertIdentity(tx, ref, p.Name, "agent_id")
	if err != nil {
		return agent, err
	}
	updates := map[string]any{}
	if p.TeamID != "" {
		ref.Kind, ref.ExternalID = intake.IdentityTeam, p.TeamID
		team, err := upsertIdentity(tx, ref, p.TeamName, "")
		if err != nil {
			return agent, err
		}
		if agent.TeamIdentityID != team.ID {
			agent.TeamIdentityID, updates["team_identity_id"] = team.ID, team.ID
		}
	}
	if email := strings.ToLower(p.Email); email != "" && email != agent.Email {
		user, err := upsertUser(tx, projectID, email, agent.Name)
		if err != nil {
			return agent, err
		}
		agent.Email, agent.UserID = email, user.ID
		updates["email"], updates["user_id"] = email, user.ID
	}
	if len(updates) == 0 {
		return agent, nil
	}
	updates["updated_at"] = time.Now().UTC()
	return agent, tx.Model(&agent).Updates(updates).Error
}

func upsertUser(tx *gorm.DB, projectID, email, name string) (User, error) {
	u := User{ID: intake.NewID("usr"), ProjectID: projectID, Email: email, Name: name}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&u).Error; err != nil {
		return u, err
	}
	// A fresh row: GORM would add the new row's ID to the query.
	var found User
	err := tx.Where("project_id = ? AND email = ?", projectID, email).Take(&found).Error
	return found, err
}

// IdentityFilter narrows an identity list; Linked nil lists both.
type IdentityFilter struct {
	Kind, ConnectorID string
	Linked            *bool
}

// ListIdentities returns one page of a project's identities, newest first.
func (s *Store) ListIdentities(ctx context.Context, projectID string, f IdentityFilter, p Page) ([]Identity, string, error) {
	q := s.db.WithContext(ctx).Model(&Identity{}).Where("project_id = ?", projectID)
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.ConnectorID != "" {
		q = q.Where("connector_id = ?", f.ConnectorID)
	}
	if f.Linked != nil && *f.Linked {
		q = q.Where("linked_id <> ''")
	} else if f.Linked != nil {
		q = q.Where("linked_id = '' OR linked_id IS NULL")
	}
	return list(q, p, func(r *Identity) string { return r.ID })
}

// GetIdentity returns a project's identity.
func (s *Store) GetIdentity(ctx context.Context, projectID, id string) (Identity, error) {
	var i Identity
	err := s.db.WithContext(ctx).Where("project_id = ? AND id = ?", projectID, id).Take(&i).Error
	return i, notFound(err, "identity")
}

// LinkIdentity links an identity to the entity targetID of its kind or,
// when targetID is empty, to a new one named name (the identity's own name
// when empty). A new agent takes the identity's email and user, and its
// team when the team's identity is linked. Linking again moves the link.
func (s *Store) LinkIdentity(ctx context.Context, projectID, id, targetID, name string) (Identity, Entity, error) {
	var idn Identity
	var ent Entity
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("project_id = ? AND id = ?", projectID, id).Take(&idn).Error; err != nil {
			return notFound(err, "identity")
		}
		if targetID != "" {
			if err := tx.Where("project_id = ? AND id = ?", projectID, targetID).Take(&ent).Error; err != nil {
				return notFound(err, idn.Kind)
			}
			if ent.Kind != idn.Kind {
				return intake.Invalid("target_id", "target_id is a %s; this identity is a %s", ent.Kind, idn.Kind)
			}
		} else {
			if ent.Name = name; ent.Name == "" {
				ent.Name = idn.Name
			}
			if ent.Name == "" {
				return intake.Invalid("name", "name is required: this identity has no name to give the new %s", idn.Kind)
			}
			ent.ID, ent.ProjectID, ent.Kind = intake.NewID(entityPrefixes[idn.Kind]), projectID, idn.Kind
			if idn.Kind == intake.IdentityAgent {
				ent.Email, ent.UserID = idn.Email, idn.UserID
			}
			if err := tx.Create(&ent).Error; err != nil {
				return err
			}
		}
		now := time.Now().UTC()
		idn.LinkedID, idn.LinkedAt, idn.UpdatedAt = ent.ID, &now, now
		if err := tx.Model(&idn).Updates(map[string]any{"linked_id": ent.ID, "linked_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		return carryTeam(tx, idn, &ent, now)
	})
	return idn, ent, err
}

// carryTeam gives agents the team their senders put them in, once both
// sides are linked: an agent linked after its team takes the team's link,
// and a team linked after its agents becomes theirs. An agent that already
// has a team keeps it: an admin's choice wins over a sender's.
func carryTeam(tx *gorm.DB, idn Identity, ent *Entity, now time.Time) error {
	switch idn.Kind {
	case intake.IdentityAgent:
		var team Identity
		if ent.TeamID != "" || idn.TeamIdentityID == "" || tx.Where("id = ?", idn.TeamIdentityID).Take(&team).Error != nil ||
			team.LinkedID == "" {
			return nil
		}
		ent.TeamID, ent.UpdatedAt = team.LinkedID, now
		return tx.Model(ent).Updates(map[string]any{"team_id": team.LinkedID, "updated_at": now}).Error
	case intake.IdentityTeam:
		members := tx.Model(&Identity{}).Select("linked_id").
			Where("project_id = ? AND team_identity_id = ? AND linked_id <> ''", idn.ProjectID, idn.ID)
		return tx.Model(&Entity{}).
			Where("project_id = ? AND kind = ? AND (team_id = '' OR team_id IS NULL) AND id IN (?)", idn.ProjectID, intake.IdentityAgent, members).
			Updates(map[string]any{"team_id": ent.ID, "updated_at": now}).Error
	}
	return nil
}

// CreateEntity stores a new agent, team or proposition.
func (s *Store) CreateEntity(ctx context.Context, e *Entity) error {
	e.ID = intake.NewID(entityPrefixes[e.Kind])
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkTeam(tx, e); err != nil {
			return err
		}
		return tx.Create(e).Error
	})
}

// checkTeam refuses an agent's team that is not a team of its project.
func checkTeam(tx *gorm.DB, e *Entity) error {
	if e.TeamID == "" {
		return nil
	}
	var n int64
	err := tx.Model(&Entity{}).Where("project_id = ? AND id = ? AND kind = ?", e.ProjectID, e.TeamID, intake.IdentityTeam).Count(&n).Error
	if err == nil && n == 0 {
		return intake.Invalid("team_id", "team_id %q is not a team of this project", e.TeamID)
	}
	return err
}

// ListEntities returns one page of a project's entities of one kind.
func (s *Store) ListEntities(ctx context.Context, projectID, kind string, p Page) ([]Entity, string, error) {
	q := s.db.WithContext(ctx).Model(&Entity{}).Where("project_id = ? AND kind = ?", projectID, kind)
	return list(q, p, func(r *Entity) string { return r.ID })
}

// GetEntity returns a project's entity of one kind.
func (s *Store) GetEntity(ctx context.Context, projectID, kind, id string) (Entity, error) {
	var e Entity
	err := s.db.WithContext(ctx).Where("project_id = ? AND kind = ? AND id = ?", projectID, kind, id).Take(&e).Error
	return e, notFound(err, kind)
}

// UpdateEntity changes a project's entity with edit, in one transaction.
func (s *Store) UpdateEntity(ctx context.Context, projectID, kind, id string, edit func(*Entity) error) (Entity, error) {
	var e Entity
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("project_id = ? AND kind = ? AND id = ?", projectID, kind, id).Take(&e).Error; err != nil {
			return notFound(err, kind)
		}
		if err := edit(&e); err != nil {
			return err
		}
		if err := checkTeam(tx, &e); err != nil {
			return err
		}
		return tx.Save(&e).Error
	})
	return e, err
}

// DeleteEntity deletes an entity nothing links to: identities, or agents
// of a team, must be moved first, so no record loses its owner silently.
func (s *Store) DeleteEntity(ctx context.Context, projectID, kind, id string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var e Entity
		if err := tx.Where("project_id = ? AND kind = ? AND id = ?", projectID, kind, id).Take(&e).Error; err != nil {
			return notFound(err, kind)
		}
		var linked, members int64
		if err := tx.Model(&Identity{}).Where("project_id = ? AND linked_id = ?", projectID, id).Count(&linked).Error; err != nil {
			return err
		}
		if err := tx.Model(&Entity{}).Where("project_id = ? AND team_id = ?", projectID, id).Count(&members).Error; err != nil {
			return err
		}
		if linked+members > 0 {
			return intake.Errorf(intake.ErrConflict, "%s %s is still linked by %d identities and %d agents; relink them first",
				kind, id, linked, members)
		}
		return tx.Delete(&e).Error
	})
}

// ListUsers returns one page of a project's users.
func (s *Store) ListUsers(ctx context.Context, projectID string, p Page) ([]User, string, error) {
	q := s.db.WithContext(ctx).Model(&User{}).Where("project_id = ?", projectID)
	return list(q, p, func(r *User) string { return r.ID })
}
