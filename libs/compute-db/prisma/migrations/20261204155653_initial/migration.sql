-- CreateTable
CREATE TABLE "flavors" (
    "id" SERIAL NOT NULL,
    "flavorid" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "vcpus" INTEGER NOT NULL,
    "memory_mb" INTEGER NOT NULL,
    "root_gb" INTEGER NOT NULL,
    "ephemeral_gb" INTEGER NOT NULL DEFAULT 0,
    "swap" INTEGER NOT NULL DEFAULT 0,
    "rxtx_factor" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "is_public" BOOLEAN NOT NULL DEFAULT true,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "flavors_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instances" (
    "id" SERIAL NOT NULL,
    "uuid" VARCHAR(36) NOT NULL,
    "display_name" VARCHAR(255) NOT NULL,
    "project_id" VARCHAR(255) NOT NULL,
    "user_id" VARCHAR(255) NOT NULL,
    "flavor_id" VARCHAR(255) NOT NULL,
    "flavor" JSONB NOT NULL,
    "vcpus" INTEGER NOT NULL,
    "memory_mb" INTEGER NOT NULL,
    "root_gb" INTEGER NOT NULL,
    "ephemeral_gb" INTEGER NOT NULL DEFAULT 0,
    "image_ref" VARCHAR(255) NOT NULL DEFAULT '',
    "key_name" VARCHAR(255),
    "availability_zone" VARCHAR(255),
    "host" VARCHAR(255),
    "node" VARCHAR(255),
    "vm_state" VARCHAR(255) NOT NULL,
    "task_state" VARCHAR(255),
    "power_state" INTEGER NOT NULL DEFAULT 0,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "address" VARCHAR(64),
    "launched_at" TIMESTAMPTZ(3),
    "terminated_at" TIMESTAMPTZ(3),
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instances_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instance_faults" (
    "id" SERIAL NOT NULL,
    "instance_uuid" VARCHAR(36) NOT NULL,
    "code" INTEGER NOT NULL,
    "message" VARCHAR(255) NOT NULL,
    "details" TEXT,
    "host" VARCHAR(255),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instance_faults_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "block_device_mappings" (
    "id" SERIAL NOT NULL,
    "instance_uuid" VARCHAR(36) NOT NULL,
    "volume_id" VARCHAR(36),
    "device_name" VARCHAR(255),
    "boot_index" INTEGER,
    "source_type" VARCHAR(32) NOT NULL,
    "destination_type" VARCHAR(32) NOT NULL,
    "volume_size" INTEGER,
    "delete_on_termination" BOOLEAN NOT NULL DEFAULT false,
    "attachment_id" VARCHAR(36),
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "block_device_mappings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "compute_nodes" (
    "id" SERIAL NOT NULL,
    "host" VARCHAR(255) NOT NULL,
    "hypervisor_hostname" VARCHAR(255) NOT NULL,
    "hypervisor_type" VARCHAR(255) NOT NULL DEFAULT 'fake',
    "availability_zone" VARCHAR(255),
    "vcpus" INTEGER NOT NULL,
    "vcpus_used" INTEGER NOT NULL DEFAULT 0,
    "memory_mb" INTEGER NOT NULL,
    "memory_mb_used" INTEGER NOT NULL DEFAULT 0,
    "local_gb" INTEGER NOT NULL,
    "local_gb_used" INTEGER NOT NULL DEFAULT 0,
    "running_vms" INTEGER NOT NULL DEFAULT 0,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "host_ip" VARCHAR(64),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "compute_nodes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "flavors_flavorid_key" ON "flavors"("flavorid");

-- CreateIndex
CREATE UNIQUE INDEX "flavors_name_key" ON "flavors"("name");

-- CreateIndex
CREATE UNIQUE INDEX "instances_uuid_key" ON "instances"("uuid");

-- CreateIndex
CREATE INDEX "instances_project_id_deleted_idx" ON "instances"("project_id", "deleted");

-- CreateIndex
CREATE INDEX "instances_host_deleted_idx" ON "instances"("host", "deleted");

-- CreateIndex
CREATE INDEX "instances_vm_state_updated_at_idx" ON "instances"("vm_state", "updated_at");

-- CreateIndex
CREATE INDEX "instance_faults_instance_uuid_created_at_idx" ON "instance_faults"("instance_uuid", "created_at");

-- CreateIndex
CREATE INDEX "block_device_mappings_instance_uuid_deleted_idx" ON "block_device_mappings"("instance_uuid", "deleted");

-- CreateIndex
CREATE INDEX "block_device_mappings_volume_id_idx" ON "block_device_mappings"("volume_id");

-- CreateIndex
CREATE UNIQUE INDEX "compute_nodes_host_key" ON "compute_nodes"("host");

-- AddForeignKey
ALTER TABLE "instance_faults" ADD CONSTRAINT "instance_faults_instance_uuid_fkey" FOREIGN KEY ("instance_uuid") REFERENCES "instances"("uuid") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "block_device_mappings" ADD CONSTRAINT "block_device_mappings_instance_uuid_fkey" FOREIGN KEY ("instance_uuid") REFERENCES "instances"("uuid") ON DELETE CASCADE ON UPDATE CASCADE;

-- Seed the default flavors, as nova's early migrations did (ids "1".."5").
INSERT INTO "flavors" ("flavorid", "name", "vcpus", "memory_mb", "root_gb") VALUES
    ('1', 'm1.tiny', 1, 512, 1),
    ('2', 'm1.small', 1, 2048, 20),
    ('3', 'm1.medium', 2, 4096, 40),
    ('4', 'm1.large', 4, 8192, 80),
    ('5', 'm1.xlarge', 8, 16384, 160);
