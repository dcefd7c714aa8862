package dev.atrium.invitation;

import java.time.Instant;

import dev.atrium.invitation.dto.CreatedInvitationView;
import dev.atrium.invitation.dto.InvitationView;

/** Entities never cross HTTP: the one place an invitation turns into a view. */
public final class InvitationMapper {
    private InvitationMapper() {
    }

    /** The answer to an invite or a resend: the only place the token is ever shown. */
    public static CreatedInvitationView created(Invitation i, Instant now, String token) {
        return new CreatedInvitationView("invitation", i.id, i.workspaceId, i.email, i.role, i.effectiveStatus(now),
                i.expiresAt, i.invitedBy, i.createdAt, token);
    }

    public static InvitationView view(Invitation i, Instant now) {
        return new InvitationView("invitation", i.id, i.workspaceId, i.email, i.role, i.effectiveStatus(now),
                i.expiresAt, i.invitedBy, i.createdAt);
    }
}
