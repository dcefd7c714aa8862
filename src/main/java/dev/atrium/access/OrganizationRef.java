package dev.atrium.access;

/** An organization as authorization sees it; the organization domain provides it ({@link OrganizationDirectory}). */
public interface OrganizationRef {

    String id();

    String name();
}
