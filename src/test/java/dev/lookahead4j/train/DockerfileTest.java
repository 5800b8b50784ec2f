package dev.lookahead4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * There is no Docker engine on the build machines, so this checks what can be checked statically:
 * every COPY source exists, the jar the runtime stage copies is the one the pom builds, the stages use
 * matching CUDA images, and the docker build/run lines of docs/TRAINING.md (and the README's, once it
 * has them) use the Dockerfile's tag, working directory and commands.
 */
class DockerfileTest {
    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path DOCKERFILE = ROOT.resolve("Dockerfile");

    static String tag(String xml, String name) {
        // the project's own element: the first one after </parent> or at the top, outside <dependencies>
        String head = xml.substring(0, xml.indexOf("<dependencies>"));
        Matcher m = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(head.replaceAll("(?s)<parent>.*?</parent>", ""));
        assertTrue(m.find(), "pom has no <" + name + ">");
        return m.group(1).trim();
    }

    /** Instructions with line continuations joined. */
    static List<String> instructions() throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : Files.readAllLines(DOCKERFILE)) {
            String t = line.strip();
            if (cur.length() == 0 && (t.isEmpty() || t.startsWith("#"))) continue;
            if (t.endsWith("\\")) {
                cur.append(t, 0, t.length() - 1).append(' ');
            } else {
                cur.append(t);
                out.add(cur.toString().replaceAll("\\s+", " "));
                cur.setLength(0);
            }
        }
        return out;
    }

    @Test
    void copySourcesExistAndTheJarIsThePomsCliJar() throws IOException {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        String jar = "target/" + tag(pom, "artifactId") + "-" + tag(pom, "version") + "-cli.jar";
        assertTrue(pom.contains("<shadedClassifierName>cli</shadedClassifierName>"), "the pom's shaded jar classifier is 'cli'");
        int copies = 0, fromBuild = 0;
        for (String ins : instructions()) {
            if (!ins.startsWith("COPY ")) continue;
            copies++;
            String[] parts = ins.substring(5).trim().split(" ");
            List<String> srcs = new ArrayList<>();
            boolean fromStage = false;
            for (int i = 0; i < parts.length - 1; i++) {
                if (parts[i].startsWith("--from=")) fromStage = true;
                else if (!parts[i].startsWith("--")) srcs.add(parts[i]);
            }
            for (String s : srcs) {
                if (fromStage) {
                    fromBuild++;
                    assertEquals("/build/" + jar, s, "the runtime stage copies the pom's -cli jar");
                } else {
                    assertTrue(Files.exists(ROOT.resolve(s)), "COPY source missing in the repository: " + s);
                }
            }
        }
        assertTrue(copies >= 3, "COPY instructions: " + copies);
        assertEquals(1, fromBuild);
    }

    @Test
    void stagesUseMatchingCudaDevelAndRuntimeImagesAndTheCliEntryPoint() throws IOException {
        List<String> ins = instructions();
        List<String> froms = ins.stream().filter(s -> s.startsWith("FROM ")).toList();
        assertEquals(2, froms.size(), froms.toString());
        assertTrue(froms.get(0).matches("FROM nvidia/cuda:\\$\\{CUDA_VERSION}-devel-\\$\\{UBUNTU} AS build"), froms.get(0));
        assertTrue(froms.get(1).matches("FROM nvidia/cuda:\\$\\{CUDA_VERSION}-runtime-\\$\\{UBUNTU}"), froms.get(1));
        assertTrue(ins.contains("ARG CUDA_VERSION=12.6.3") || ins.stream().anyMatch(s -> s.matches("ARG CUDA_VERSION=12\\.\\d+\\.\\d+")),
                "a CUDA 12 toolkit (JCublas 12 needs libcublas.so.12)");
        assertTrue(ins.stream().anyMatch(s -> s.startsWith("RUN mvn -B") && s.contains("verify")), "the build stage runs the tests");
        assertTrue(ins.stream().anyMatch(s -> s.contains("dataset-fashion-mnist")), "the runtime has the data");
        assertTrue(ins.contains("ENTRYPOINT [\"java\", \"-Djava.awt.headless=true\", \"-jar\", \"/opt/lookahead4j/lookahead4j-cli.jar\"]"));
        assertTrue(ins.contains("CMD [\"train\", \"--device\", \"auto\"]"));
        String ignore = Files.readString(ROOT.resolve(".dockerignore"));
        assertTrue(ignore.lines().anyMatch(l -> l.strip().equals("target")), ".dockerignore keeps target/ out of the context");
        assertFalse(ignore.lines().anyMatch(l -> l.strip().equals("src") || l.strip().equals("pom.xml")));
    }

    /** The docker lines of a document: each run uses the built tag, mounts the WORKDIR's train-out, runs a known command. */
    static int checkDockerLines(Path doc) throws IOException {
        String text = Files.readString(doc);
        Matcher b = Pattern.compile("docker build (?:[^\\n]*?)-t (\\S+) \\.").matcher(text);
        List<String> tags = new ArrayList<>();
        while (b.find()) tags.add(b.group(1));
        Matcher r = Pattern.compile("docker run ([^\\n]*)").matcher(text);
        int runs = 0;
        while (r.find()) {
            runs++;
            String line = r.group(1);
            assertTrue(line.contains("--gpus all"), doc + ": " + line);
            String image = tags.stream().filter(t -> line.matches(".*(^|\\s)" + Pattern.quote(t) + "(\\s.*|$)")).findFirst().orElse(null);
            assertTrue(image != null, doc + ": docker run uses an image that no docker build line tags (" + tags + "): " + line);
            String after = line.substring(line.indexOf(" " + image) + image.length() + 1).trim();
            assertTrue(after.isEmpty() || after.matches("(train|info|replay|bench)( .*)?"), doc + ": unknown command after the image: " + after);
            if (line.contains("train-out")) assertTrue(line.contains(":/work/train-out"), doc + ": mount the output at WORKDIR /work: " + line);
        }
        assertTrue(!tags.isEmpty() && runs > 0, doc + " has docker build and docker run lines");
        return runs;
    }

    @Test
    void documentedDockerLinesMatchTheDockerfile() throws IOException {
        assertTrue(instructions().contains("WORKDIR /work"));
        checkDockerLines(ROOT.resolve("docs/TRAINING.md"));
        checkDockerLines(DOCKERFILE);
    }

    @Test
    void readmeDockerLinesMatchTheDockerfile() throws IOException {
        Path readme = ROOT.resolve("README.md");
        Assumptions.assumeTrue(Files.exists(readme) && Files.readString(readme).contains("docker run"),
                "README.md has no docker lines yet");
        checkDockerLines(readme);
    }
}
