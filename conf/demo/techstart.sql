-- TechStart Inc: rows of FieldServiceDB on sql.techstart.com (on-premises).
-- Load after fieldservice_schema.sql into a fresh database: the IDENTITY values
-- referenced below (CustomerId, SiteId, UserId) start at 1 there.
-- PasswordHash holds crypt(3) hashes only; the demo passwords are in README.md.
INSERT INTO Customers (Name, Email, Phone, City, Country, CreatedAt)
VALUES
    (N'TechStart Labs', N'labs@techstart.example', N'+1-555-0191', N'Austin', N'United States', '2024-01-11 09:00:00'),
    (N'TechStart Data Center', N'dc@techstart.example', N'+1-555-0192', N'San Antonio', N'United States', '2024-02-12 09:00:00'),
    (N'Østergaard ApS (TechStart Nordic)', N'nordic@techstart.example', N'+1-555-0193', N'Aarhus', N'Denmark', '2024-03-13 09:00:00');
GO

INSERT INTO Sites (CustomerId, Name, Address, Latitude, Longitude)
VALUES
    (1, N'TechStart Labs Headquarters', N'19 Main Street, Austin', 40.2500, -100.5000),
    (1, N'TechStart Labs Warehouse', N'29 Main Street, Austin', 40.5000, -101.0000),
    (2, N'TechStart Data Center Headquarters', N'39 Main Street, San Antonio', 40.7500, -101.5000),
    (2, N'TechStart Data Center Warehouse', N'49 Main Street, San Antonio', 41.0000, -102.0000),
    (3, N'Østergaard ApS (TechStart Nordic) Headquarters', N'59 Main Street, Aarhus', 41.2500, -102.5000),
    (3, N'Østergaard ApS (TechStart Nordic) Warehouse', N'69 Main Street, Aarhus', 41.5000, -103.0000);
GO

INSERT INTO Users (Username, DisplayName, PasswordHash, Role, IsActive)
VALUES
    (N'alice@techstart.com', N'Alice Nguyen', N'$6$nnwhURrV1cMIiT.s$/SGwN1kRk5hIO2fcfRaRXeQtvml4gVuEbZM8nf3GrZvyXOJZL7jSlxAMtduHo3Gv6bPHf8How4Jciwr1xSeqQ1', N'admin', 1),
    (N'raj@techstart.com', N'Raj Patel', N'$y$j9T$rpGRnDG2auYzbBd3IHk2U1$7hSYRi5E5rZpcwdaWjXiATTvss19C9UID6PDIYjP7C7', N'technician', 1);
GO

INSERT INTO Tickets (SiteId, Title, Description, Status, Priority, AssignedTo, CreatedAt, UpdatedAt)
VALUES
    (1, N'TechStart: HVAC unit not cooling', N'Compressor cycles every few minutes. (TechStart site 1)', N'InProgress', 3, 2, '2024-05-01 08:07:00', '2024-06-01 16:30:00'),
    (1, N'TechStart: Badge reader offline', N'Reader at the loading dock shows a red light. (TechStart site 1)', N'Resolved', 4, 1, '2024-05-02 08:14:00', '2024-06-02 16:30:00'),
    (1, N'TechStart: Quarterly fire extinguisher check', NULL, N'Closed', 5, 2, '2024-05-03 08:21:00', '2024-06-03 16:30:00'),
    (2, N'TechStart: Badge reader offline', N'Reader at the loading dock shows a red light. (TechStart site 2)', N'Resolved', 5, 1, '2024-05-04 08:28:00', '2024-06-04 16:30:00'),
    (2, N'TechStart: Quarterly fire extinguisher check', NULL, N'Closed', 1, 2, '2024-05-05 08:35:00', '2024-06-05 16:30:00'),
    (3, N'TechStart: Quarterly fire extinguisher check', NULL, N'Closed', 2, 2, '2024-05-06 08:42:00', '2024-06-06 16:30:00'),
    (3, N'TechStart: Backup generator test', N'Run the generator under load for 30 minutes. (TechStart site 3)', N'Open', 3, NULL, '2024-05-07 08:49:00', NULL),
    (3, N'TechStart: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (TechStart site 3)', N'InProgress', 4, 2, '2024-05-08 08:56:00', '2024-06-08 16:30:00'),
    (4, N'TechStart: Backup generator test', N'Run the generator under load for 30 minutes. (TechStart site 4)', N'Open', 4, NULL, '2024-05-09 08:03:00', NULL),
    (4, N'TechStart: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (TechStart site 4)', N'InProgress', 5, 2, '2024-05-10 08:10:00', '2024-06-10 16:30:00'),
    (5, N'TechStart: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (TechStart site 5)', N'InProgress', 1, 2, '2024-05-11 08:17:00', '2024-06-11 16:30:00'),
    (5, N'TechStart: HVAC unit not cooling', N'Compressor cycles every few minutes. (TechStart site 5)', N'Resolved', 2, 1, '2024-05-12 08:24:00', '2024-06-12 16:30:00'),
    (5, N'TechStart: Badge reader offline', N'Reader at the loading dock shows a red light. (TechStart site 5)', N'Closed', 3, 2, '2024-05-13 08:31:00', '2024-06-13 16:30:00'),
    (6, N'TechStart: HVAC unit not cooling', N'Compressor cycles every few minutes. (TechStart site 6)', N'Resolved', 3, 1, '2024-05-14 08:38:00', '2024-06-14 16:30:00'),
    (6, N'TechStart: Badge reader offline', N'Reader at the loading dock shows a red light. (TechStart site 6)', N'Closed', 4, 2, '2024-05-15 08:45:00', '2024-06-15 16:30:00');
GO
