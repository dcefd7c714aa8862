package dev.atrium.common.security;

import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "atrium.security")
public interface SecurityConfig {

    /** Client ids whose tokens are service principals (their {@code azp}/{@code client_id} must equal {@code sub}). */
    Optional<List<String>> serviceClients();

    /** The {@code groups} entry that makes a user a platform admin. */
    @WithDefault("platform-admin")
    String platformAdminGroup();
}
