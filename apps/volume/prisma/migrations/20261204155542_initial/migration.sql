-- CreateTable
CREATE TABLE "volumes" (
    "id" VARCHAR(36) NOT NULL,
    "project_id" VARCHAR(255) NOT NULL,
    "user_id" VARCHAR(255) NOT NULL,
    "display_name" VARCHAR(255),
    "display_description" VARCHAR(255),
    "size" INTEGER NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "attach_status" VARCHAR(255) NOT NULL DEFAULT 'detached',
    "availability_zone" VARCHAR(255) NOT NULL,
    "volume_type" VARCHAR(255) NOT NULL,
    "host" VARCHAR(255),
    "service_host" VARCHAR(255),
    "bootable" BOOLEAN NOT NULL DEFAULT false,
    "multiattach" BOOLEAN NOT NULL DEFAULT false,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "launched_at" TIMESTAMPTZ(3),
    "terminated_at" TIMESTAMPTZ(3),
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3),

    CONSTRAINT "volumes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "volume_attachments" (
    "id" VARCHAR(36) NOT NULL,
    "volume_id" VARCHAR(36) NOT NULL,
    "instance_uuid" VARCHAR(36),
    "attached_host" VARCHAR(255),
    "mountpoint" VARCHAR(255),
    "attach_mode" VARCHAR(2) NOT NULL DEFAULT 'rw',
    "attach_status" VARCHAR(255) NOT NULL,
    "attach_time" TIMESTAMPTZ(3),
    "detach_time" TIMESTAMPTZ(3),
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3),

    CONSTRAINT "volume_attachments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "services" (
    "id" SERIAL NOT NULL,
    "host" VARCHAR(255) NOT NULL,
    "binary" VARCHAR(255) NOT NULL DEFAULT 'cinder-volume',
    "backend_name" VARCHAR(255) NOT NULL,
    "availability_zone" VARCHAR(255) NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "total_capacity_gb" INTEGER NOT NULL,
    "free_capacity_gb" INTEGER NOT NULL,
    "allocated_capacity_gb" INTEGER NOT NULL,
    "capabilities" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "services_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "volumes_project_id_deleted_idx" ON "volumes"("project_id", "deleted");

-- CreateIndex
CREATE INDEX "volumes_service_host_deleted_idx" ON "volumes"("service_host", "deleted");

-- CreateIndex
CREATE INDEX "volume_attachments_volume_id_deleted_idx" ON "volume_attachments"("volume_id", "deleted");

-- CreateIndex
CREATE UNIQUE INDEX "services_host_key" ON "services"("host");

-- AddForeignKey
ALTER TABLE "volume_attachments" ADD CONSTRAINT "volume_attachments_volume_id_fkey" FOREIGN KEY ("volume_id") REFERENCES "volumes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
