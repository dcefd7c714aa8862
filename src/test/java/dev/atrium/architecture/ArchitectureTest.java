package dev.atrium.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import jakarta.ws.rs.core.Response;

/**
 * The shape of the code, read from the compiled classes: common/ is the ground floor, packages import one way, and
 * only the HTTP edge (resources, the web and problem helpers, the peer-cell client) deals in JAX-RS responses.
 */
class ArchitectureTest {

    static final String[] DOMAINS = { "dev.atrium.access..", "dev.atrium.apikey..", "dev.atrium.audit..",
            "dev.atrium.background..", "dev.atrium.cell..", "dev.atrium.compat..", "dev.atrium.export..",
            "dev.atrium.idempotency..", "dev.atrium.invitation..", "dev.atrium.member..", "dev.atrium.organization..", "dev.atrium.plan..",
            "dev.atrium.provisioning..", "dev.atrium.usage..", "dev.atrium.workspace..", "dev.atrium.dev.." };

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.atrium");
    }

    @Test
    void commonImportsNoDomain() {
        noClasses().that().resideInAPackage("dev.atrium.common..")
                .should().dependOnClassesThat().resideInAnyPackage(DOMAINS)
                .because("common/ is the ground floor every domain builds on").check(classes);
    }

    @Test
    void packagesImportOneWay() {
        slices().matching("dev.atrium.(*)..").should().beFreeOfCycles()
                .because("two packages never import each other, however indirectly").check(classes);
    }

    @Test
    void onlyTheHttpEdgeBuildsResponses() {
        noClasses().that().haveSimpleNameNotEndingWith("Resource")
                .and().resideOutsideOfPackages("dev.atrium.common.web..", "dev.atrium.common.problem..")
                .and().doNotHaveFullyQualifiedName("dev.atrium.cell.PeerApi")
                .and().doNotHaveFullyQualifiedName("dev.atrium.cell.PeerClient")
                .should().dependOnClassesThat().areAssignableTo(Response.class)
                .because("services return domain results; resources decide statuses and headers").check(classes);
    }

    @Test
    void theRulesSeeTheWholeApplication() {
        org.junit.jupiter.api.Assertions.assertTrue(classes.size() > 200, "classes imported: " + classes.size());
    }
}
