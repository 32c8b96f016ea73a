-- DCPSP Production: rows of FieldServiceDB on customer-portal-sql-server.
-- Load after fieldservice_schema.sql into a fresh database: the IDENTITY values
-- referenced below (CustomerId, SiteId, UserId) start at 1 there.
-- PasswordHash holds crypt(3) hashes only; the demo passwords are in README.md.
INSERT INTO Customers (Name, Email, Phone, City, Country, CreatedAt)
VALUES
    (N'DCPSP Water Utility', N'ops@dcpsp-water.example', N'+1-555-0151', N'Springfield', N'United States', '2024-01-11 09:00:00'),
    (N'DCPSP Municipal Fleet', N'fleet@dcpsp-city.example', N'+1-555-0152', N'Shelbyville', N'United States', '2024-02-12 09:00:00'),
    (N'東京支店 (DCPSP Japan)', N'tokyo@dcpsp.example', N'+1-555-0153', N'東京', N'Japan', '2024-03-13 09:00:00');
GO

INSERT INTO Sites (CustomerId, Name, Address, Latitude, Longitude)
VALUES
    (1, N'DCPSP Water Utility Headquarters', N'15 Main Street, Springfield', 40.2500, -100.5000),
    (1, N'DCPSP Water Utility Warehouse', N'25 Main Street, Springfield', 40.5000, -101.0000),
    (2, N'DCPSP Municipal Fleet Headquarters', N'35 Main Street, Shelbyville', 40.7500, -101.5000),
    (2, N'DCPSP Municipal Fleet Warehouse', N'45 Main Street, Shelbyville', 41.0000, -102.0000),
    (3, N'東京支店 (DCPSP Japan) Headquarters', N'55 Main Street, 東京', 41.2500, -102.5000),
    (3, N'東京支店 (DCPSP Japan) Warehouse', N'65 Main Street, 東京', 41.5000, -103.0000);
GO

INSERT INTO Users (Username, DisplayName, PasswordHash, Role, IsActive)
VALUES
    (N'admin@dcpsp.com', N'Dana Admin', N'$2b$12$nILvHuxvf0AqVs3P9N.dce4OpTEO5SCWJD0PQEmkn48Tp8ocDE7.G', N'admin', 1),
    (N'mike@dcpsp.com', N'Mike Field', N'$6$tQNEc9kEujE5NntM$BVXE1KpQu/g./Lc7fZhZKw0a2XMq.NeN3SEuahhoAiiHSrFlvGKGDETGW3bFO3nb69wtgJU/A5I5EHAU4gpF8/', N'technician', 1);
GO

INSERT INTO Tickets (SiteId, Title, Description, Status, Priority, AssignedTo, CreatedAt, UpdatedAt)
VALUES
    (1, N'DCPSP: Badge reader offline', N'Reader at the loading dock shows a red light. (DCPSP site 1)', N'InProgress', 3, 2, '2024-05-01 08:07:00', '2024-06-01 16:30:00'),
    (1, N'DCPSP: Quarterly fire extinguisher check', NULL, N'Resolved', 4, 1, '2024-05-02 08:14:00', '2024-06-02 16:30:00'),
    (1, N'DCPSP: Backup generator test', N'Run the generator under load for 30 minutes. (DCPSP site 1)', N'Closed', 5, 2, '2024-05-03 08:21:00', '2024-06-03 16:30:00'),
    (2, N'DCPSP: Quarterly fire extinguisher check', NULL, N'Resolved', 5, 1, '2024-05-04 08:28:00', '2024-06-04 16:30:00'),
    (2, N'DCPSP: Backup generator test', N'Run the generator under load for 30 minutes. (DCPSP site 2)', N'Closed', 1, 2, '2024-05-05 08:35:00', '2024-06-05 16:30:00'),
    (3, N'DCPSP: Backup generator test', N'Run the generator under load for 30 minutes. (DCPSP site 3)', N'Closed', 2, 2, '2024-05-06 08:42:00', '2024-06-06 16:30:00'),
    (3, N'DCPSP: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (DCPSP site 3)', N'Open', 3, NULL, '2024-05-07 08:49:00', NULL),
    (3, N'DCPSP: HVAC unit not cooling', N'Compressor cycles every few minutes. (DCPSP site 3)', N'InProgress', 4, 2, '2024-05-08 08:56:00', '2024-06-08 16:30:00'),
    (4, N'DCPSP: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (DCPSP site 4)', N'Open', 4, NULL, '2024-05-09 08:03:00', NULL),
    (4, N'DCPSP: HVAC unit not cooling', N'Compressor cycles every few minutes. (DCPSP site 4)', N'InProgress', 5, 2, '2024-05-10 08:10:00', '2024-06-10 16:30:00'),
    (5, N'DCPSP: HVAC unit not cooling', N'Compressor cycles every few minutes. (DCPSP site 5)', N'InProgress', 1, 2, '2024-05-11 08:17:00', '2024-06-11 16:30:00'),
    (5, N'DCPSP: Badge reader offline', N'Reader at the loading dock shows a red light. (DCPSP site 5)', N'Resolved', 2, 1, '2024-05-12 08:24:00', '2024-06-12 16:30:00'),
    (5, N'DCPSP: Quarterly fire extinguisher check', NULL, N'Closed', 3, 2, '2024-05-13 08:31:00', '2024-06-13 16:30:00'),
    (6, N'DCPSP: Badge reader offline', N'Reader at the loading dock shows a red light. (DCPSP site 6)', N'Resolved', 3, 1, '2024-05-14 08:38:00', '2024-06-14 16:30:00'),
    (6, N'DCPSP: Quarterly fire extinguisher check', NULL, N'Closed', 4, 2, '2024-05-15 08:45:00', '2024-06-15 16:30:00');
GO
