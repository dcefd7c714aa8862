package dev.atrium.member;

import java.util.List;

import dev.atrium.access.Permission;
import dev.atrium.common.security.Role;
import dev.atrium.member.dto.MemberView;
import dev.atrium.member.dto.MyMembershipView;

/** Entities never cross HTTP: the one place a member becomes its view. */
public final class MemberMapper {
    private MemberMapper() {
    }

    public static MemberView view(WorkspaceMember m) {
        return new MemberView("member", m.id, m.userId, m.email, m.name, m.role, m.joinedAt, m.invitedBy);
    }

    public static MyMembershipView mine(WorkspaceMember m) {
        List<String> permissions = Role.parse(m.role).map(Permission::of)
                .map(set -> set.stream().map(Permission::wire).toList())
                .orElse(List.of());
        return new MyMembershipView("member", m.id, m.userId, m.email, m.name, m.role, m.joinedAt, m.invitedBy,
                permissions);
    }
}
