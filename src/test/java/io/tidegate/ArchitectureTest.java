package io.tidegate;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layout's rules, so that a newcomer can trust the tree: transports on top, then the streaming core and the
 * publishing path, then Kafka's clients, the record codec and operations, with config and errors underneath.
 * Dependencies point down only; no package cycle; Vert.x internals only behind {@code transport.wire}.
 */
class ArchitectureTest {
  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.tidegate");
  }

  @Test
  void dependenciesPointFromTransportsDownToKafkaAndTheCodec() {
    layeredArchitecture().consideringOnlyDependenciesInAnyPackage("io.tidegate..")
        .layer("Wiring").definedBy("io.tidegate")
        .layer("Transport").definedBy("io.tidegate.transport..")
        .layer("Auth").definedBy("io.tidegate.auth..")
        .layer("Stream").definedBy("io.tidegate.stream..")
        .layer("Publish").definedBy("io.tidegate.publish..")
        .layer("Webhook").definedBy("io.tidegate.webhook..")
        .layer("Kafka").definedBy("io.tidegate.kafka..")
        .layer("Codec").definedBy("io.tidegate.codec..")
        .layer("Ops").definedBy("io.tidegate.ops..")
        .layer("Embedded").definedBy("io.tidegate.embedded..")
        .layer("Config").definedBy("io.tidegate.config..")
        .layer("Error").definedBy("io.tidegate.error..")
        .whereLayer("Wiring").mayNotBeAccessedByAnyLayer()
        .whereLayer("Transport").mayOnlyBeAccessedByLayers("Wiring")
        .whereLayer("Auth").mayOnlyBeAccessedByLayers("Transport", "Wiring")
        .whereLayer("Stream").mayOnlyBeAccessedByLayers("Transport", "Wiring")
        .whereLayer("Publish").mayOnlyBeAccessedByLayers("Transport", "Wiring")
        .whereLayer("Webhook").mayOnlyBeAccessedByLayers("Transport", "Wiring")
        .whereLayer("Kafka").mayOnlyBeAccessedByLayers("Transport", "Stream", "Publish", "Webhook", "Ops", "Wiring")
        .whereLayer("Codec").mayOnlyBeAccessedByLayers("Transport", "Auth", "Stream", "Publish", "Webhook", "Wiring")
        .whereLayer("Ops").mayOnlyBeAccessedByLayers("Transport", "Stream", "Publish", "Webhook", "Wiring")
        .whereLayer("Embedded").mayOnlyBeAccessedByLayers("Wiring")
        .whereLayer("Config").mayOnlyBeAccessedByLayers("Wiring", "Transport", "Auth", "Stream", "Publish", "Webhook",
            "Kafka", "Ops")
        .check(main);
  }

  @Test
  void noPackageCycles() {
    slices().matching("io.tidegate.(**)").should().beFreeOfCycles().check(main);
  }

  @Test
  void vertxInternalsOnlyBehindTheWireAdapter() {
    noClasses().that().resideOutsideOfPackage("io.tidegate.transport.wire")
        .should().dependOnClassesThat().resideInAnyPackage("io.vertx..impl..", "io.vertx.core.internal..")
        .because("Vert.x internal APIs may change in any release; transport.wire.Wire confines them (see WireTest)")
        .check(main);
  }

  @Test
  void noMainClassIsOver300Lines() throws IOException {
    List<String> big;
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      big = files.filter(f -> f.toString().endsWith(".java")).filter(f -> lines(f) > 300)
          .map(f -> f + " (" + lines(f) + " lines)").sorted().toList();
    }
    assertEquals(List.of(), big, "classes in src/main over 300 lines: split them by job");
  }

  private static long lines(Path f) {
    try (Stream<String> l = Files.lines(f)) {
      return l.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
