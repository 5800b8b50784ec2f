# syntax=docker/dockerfile:1
# lookahead4j: the `train` demo (Adam vs Lookahead(Adam) on Fashion-MNIST) with CUDA 12.
#
#   docker build -t lookahead4j .
#   docker run --rm --gpus all -v "$PWD/train-out:/work/train-out" lookahead4j
#
# Stage 1 builds the PTX (native/Makefile, run by Maven when nvcc is on the PATH), the jar and runs
# the tests; stage 2 is the CUDA runtime image (it carries cuBLAS 12 for JCublas), a JRE 17, the
# Fashion-MNIST IDX files from Ubuntu's dataset-fashion-mnist package and the shaded -cli jar.

ARG CUDA_VERSION=12.6.3
ARG UBUNTU=ubuntu22.04

FROM nvidia/cuda:${CUDA_VERSION}-devel-${UBUNTU} AS build
ENV DEBIAN_FRONTEND=noninteractive
# fonts: the tests render the PNG plot (headless AWT needs a font)
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven make g++ python3 fontconfig fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# dependencies first, so that source edits do not download them again
COPY pom.xml .
RUN mvn -B -ntp -q dependency:go-offline
COPY . .
RUN mvn -B -ntp verify

FROM nvidia/cuda:${CUDA_VERSION}-runtime-${UBUNTU}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless fontconfig fonts-dejavu-core dataset-fashion-mnist \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/target/lookahead4j-0.1.0-SNAPSHOT-cli.jar /opt/lookahead4j/lookahead4j-cli.jar
WORKDIR /work
ENTRYPOINT ["java", "-Djava.awt.headless=true", "-jar", "/opt/lookahead4j/lookahead4j-cli.jar"]
CMD ["train", "--device", "auto"]
