package dev.atrium.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import jakarta.ws.rs.core.Response;

/**
 * The shape of the code, read from the compiled classes: common/ is the ground floor, packages import one way, and
 * only the HTTP edge (resources, the web and problem helpers, the peer-cell client) deals in JAX-RS responses.
 */
@AnalyzeClasses(packages = "dev.atrium", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    static final String[] DOMAINS = { "dev.atrium.access..", "dev.atrium.apikey..", "dev.atrium.audit..",
            "dev.atrium.background..", "dev.atrium.cell..", "dev.atrium.export..", "dev.atrium.idempotency..",
            "dev.atrium.invitation..", "dev.atrium.member..", "dev.atrium.organization..", "dev.atrium.plan..",
            "dev.atrium.provisioning..", "dev.atrium.usage..", "dev.atrium.workspace..", "dev.atrium.dev.." };

    @ArchTest
    static final ArchRule commonImportsNoDomain = noClasses().that().resideInAPackage("dev.atrium.common..")
            .should().dependOnClassesThat().resideInAnyPackage(DOMAINS)
            .because("common/ is the ground floor every domain builds on");

    @ArchTest
    static final ArchRule packagesImportOneWay = slices().matching("dev.atrium.(*)..").should().beFreeOfCycles()
            .because("two packages never import each other, however indirectly");

    @ArchTest
    static final ArchRule onlyTheHttpEdgeBuildsResponses = noClasses()
            .that().haveSimpleNameNotEndingWith("Resource")
            .and().resideOutsideOfPackages("dev.atrium.common.web..", "dev.atrium.common.problem..")
            .and().doNotHaveFullyQualifiedName("dev.atrium.cell.PeerApi")
            .and().doNotHaveFullyQualifiedName("dev.atrium.cell.PeerClient")
            .should().dependOnClassesThat().areAssignableTo(Response.class)
            .because("services return domain results; resources decide statuses and headers");
}
